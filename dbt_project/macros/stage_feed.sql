{#- Staging of one feed (design.md "Staging"): typed, one row per natural key,
    as the departments had delivered it on as_of.
    - snapshot feeds: the rows of the newest extract on or before as_of (the newest
      delivery is the truth; older ones are history);
    - event feeds: every key ever delivered on or before as_of, in its latest
      delivered version (greatest _extract_date, then _batch_id, then _source_row):
      a later delivery of the same key corrects it.
    `columns` maps each contract column to its SQL type; `key` is the natural key.
    The stg_<feed>.sql files that call this are generated from the feed contracts
    (warehouse/dbt_sources.py). -#}
{% macro stage_feed(relation, kind, key, columns) %}
{%- set key_list %}{% for k in key %}"{{ k }}"{{ ", " if not loop.last }}{% endfor %}{% endset -%}
with delivered as (
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

latest_version as (
    -- per key, the greatest (extract date, batch, source row): a hash aggregate,
    -- much cheaper than sorting every version in a window
    select
        {{ key_list }},
        max(struct_pack(e := _extract_date, b := _batch_id, r := _source_row)) as version
    from delivered
    group by {{ key_list }}
)

select delivered.*
from delivered
inner join latest_version
    on {% for k in key %}delivered."{{ k }}" is not distinct from latest_version."{{ k }}"{{ " and " if not loop.last }}{% endfor %}
    and delivered._extract_date = latest_version.version.e
    and delivered._batch_id = latest_version.version.b
    and delivered._source_row = latest_version.version.r
{% endmacro %}
