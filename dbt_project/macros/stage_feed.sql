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
    where _extract_date <= {{ as_of() }}
),

{% if kind == 'snapshot' %}
newest_extract as (
    select max(_extract_date) as _extract_date
    from delivered
),

in_scope as (
    select delivered.*
    from delivered
    inner join newest_extract on delivered._extract_date = newest_extract._extract_date
),
{% else %}
in_scope as (
    select * from delivered
),
{% endif %}

versions as (
    select
        *,
        row_number() over (
            partition by {% for k in key %}"{{ k }}"{{ ", " if not loop.last }}{% endfor %}
            order by _extract_date desc, _batch_id desc, _source_row desc
        ) as _version_rank
    from in_scope
)

select * exclude (_version_rank)
from versions
where _version_rank = 1
{% endmacro %}
