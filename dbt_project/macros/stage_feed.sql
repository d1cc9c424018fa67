{#- Staging of one feed (design.md "Staging"): typed, one row per natural key,
    as the departments had delivered it on as_of.
    - snapshot feeds: the rows of the newest extract on or before as_of (the newest
      delivery is the truth; older ones are history);
    - event feeds: every key ever delivered on or before as_of, in its latest
      delivered version (greatest _extract_date, then _batch_id, then _source_row):
      a later delivery of the same key corrects it.
    `columns` maps each contract column to its SQL type; `key` is the natural key.
    The stg_<feed>.sql files that call this are generated from the feed contracts
    (warehouse/dbt_sources.py).

    Why the de-duplication is split by batch: a key can only have several versions
    when it was delivered in several batches, and most batches share no key with any
    other (a monthly insurance delivery covers its own months). The range of every key
    column is taken per batch (one cheap pass, a few dozen groups); a batch whose
    ranges overlap no other batch's in every key column cannot share a key with one,
    so its rows pass straight through. Only the batches that may share keys go
    through the per-key aggregate (greatest version) and the join back. Before this,
    every row went through them: at scale 10, 40 M insurance rows, 209 CPU s and
    spilling under a 3 GB ceiling, against 21 CPU s now (issue 14, measured 2026-12-02).
    Within one batch a key is unique: the ingestion gate quarantines the rows whose
    key repeats within their batch (ingestion/gate.py), and the unique /
    unique_combination test on every stg_<feed> key (warehouse/dbt_sources.py) fails
    the build if such rows ever reached the raw zone. -#}
{% macro stage_feed(relation, kind, key, columns) %}
{%- set key_list %}{% for k in key %}"{{ k }}"{{ ", " if not loop.last }}{% endfor %}{% endset -%}
-- `not materialized`: read three times below, each read streams the Parquet files
-- rather than holding every row in memory
with delivered as not materialized (
    select
        {%- for name, sql_type in columns.items() %}
        cast("{{ name }}" as {{ sql_type }}) as "{{ name }}",
        {%- endfor %}
        _extract_date,
        _batch_id,
        _source_file,
        _source_row
    from {{ relation }}
    {%- if kind == 'snapshot' %}
    -- a scalar filter lets DuckDB skip the older deliveries' rows while scanning
    where _extract_date = (
        select max(_extract_date) from {{ relation }} where _extract_date <= {{ as_of() }}
    )
    {%- else %}
    where _extract_date <= {{ as_of() }}
    {%- endif %}
),

batch_key_ranges as (
    -- per batch, the range of each key column and whether it holds a null key value
    select
        _batch_id,
        {%- for k in key %}
        min("{{ k }}") as "{{ k }}__min",
        max("{{ k }}") as "{{ k }}__max",
        bool_or("{{ k }}" is null) as "{{ k }}__null"{{ "," if not loop.last }}
        {%- endfor %}
    from delivered
    group by _batch_id
),

batches_sharing_keys as (
    -- a batch that may hold a key another batch holds too: in every key column its
    -- range meets the other's (or both hold nulls, which `is not distinct from` matches)
    select distinct this_batch._batch_id
    from batch_key_ranges as this_batch
    inner join batch_key_ranges as other_batch
        on this_batch._batch_id <> other_batch._batch_id
    where
        {%- for k in key %}
        (
            this_batch."{{ k }}__min" <= other_batch."{{ k }}__max"
            and other_batch."{{ k }}__min" <= this_batch."{{ k }}__max"
            or this_batch."{{ k }}__null" and other_batch."{{ k }}__null"
        ){{ " and" if not loop.last }}
        {%- endfor %}
),

shared as not materialized (
    select * from delivered
    where _batch_id in (select _batch_id from batches_sharing_keys)
),

latest_version as (
    -- per key, the greatest (extract date, batch, source row): a hash aggregate,
    -- much cheaper than sorting every version in a window
    select
        {{ key_list }},
        max(struct_pack(e := _extract_date, b := _batch_id, r := _source_row)) as version
    from shared
    group by {{ key_list }}
)

select * from delivered
where _batch_id not in (select _batch_id from batches_sharing_keys)

union all

select shared.*
from shared
inner join latest_version
    on {% for k in key %}shared."{{ k }}" is not distinct from latest_version."{{ k }}"{{ " and " if not loop.last }}{% endfor %}
    and shared._extract_date = latest_version.version.e
    and shared._batch_id = latest_version.version.b
    and shared._source_row = latest_version.version.r
{% endmacro %}
