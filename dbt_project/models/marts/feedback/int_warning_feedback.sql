{#- The officials' feedback in force on as_of (spec workspace.md): every record of the
    warning_feedback feed made on or before as_of (Beijing time), so a build for an
    earlier day sees only what was known that day. Records are append-only; a
    correction is a new record and the latest per warning counts (`is_latest`). -#}
{{ config(schema='intermediate') }}

select
    feedback_id,
    warning_key,
    result,
    action,
    verified_on,
    handled_on,
    recorded_at,
    cast(recorded_at as date) as recorded_on,
    row_number() over (
        partition by warning_key order by recorded_at desc, feedback_id desc
    ) = 1 as is_latest
from {{ ref('stg_warning_feedback') }}
where cast(recorded_at as date) <= {{ as_of() }}
