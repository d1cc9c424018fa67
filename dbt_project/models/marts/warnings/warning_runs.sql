{#- One row per warning run (as_of) ever built into this warehouse, including runs
    that raised no warning at all: the lifecycle needs to know which run came
    last before this one even when that run was empty.
    Incremental and never fully refreshed: the warehouse is built as a copy of the
    published one, so the runs carry over from build to build. A rebuild of the
    same as_of replaces that run's row (idempotent). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of',
    on_schema_change='append_new_columns',
    full_refresh=false
) }}

select
    {{ as_of() }} as as_of,
    cast(count(*) as integer) as warning_count,
    cast(count(distinct rule_id) as integer) as rule_count
from {{ ref('warnings_this_run') }}
