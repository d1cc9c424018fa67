{#- Building blocks of the ind_* tables: every indicator is reported by month for
    the league, each banner and each township, with every combination present (a
    quiet month is a zero row, not a missing one). -#}

{#- Rows of `relation` once as they are and once more with `column` = 'all', so a
    breakdown and its total come out of one grouping. -#}
{% macro with_total(relation, column) -%}
    select * from {{ relation }}
    union all
    select * replace ('all' as {{ column }}) from {{ relation }}
{%- endmacro %}

{#- Aggregate `relation` (which has month, banner_code, township_code and the
    dimension columns) to the three region levels. `measures` is a SQL select list
    of aggregates. -#}
{% macro rollup_regions(relation, dimensions, measures) -%}
    {%- set levels = [('league', "'152900'"), ('banner', 'banner_code'), ('township', 'township_code')] -%}
    {%- for level, code in levels %}
    select
        month,
        '{{ level }}' as region_level,
        {{ code }} as region_code,
        {%- for d in dimensions %}
        {{ d }},
        {%- endfor %}
        {{ measures }}
    from {{ relation }}
    {%- if level != 'league' %}
    where {{ code }} is not null
    {%- endif %}
    group by month, {{ code }}{% for d in dimensions %}, {{ d }}{% endfor %}
    {{ "union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Every reported month x region, crossed with `dimension_sql` (a query giving
    the dimension values, or none). -#}
{% macro indicator_grid(dimension_sql=none) -%}
    select
        months.month,
        regions.region_level,
        regions.region_code,
        regions.region_name
        {%- if dimension_sql %},
        dims.*
        {%- endif %}
    from {{ ref('int_month_spine') }} as months
    cross join {{ ref('int_report_regions') }} as regions
    {%- if dimension_sql %}
    cross join ({{ dimension_sql }}) as dims
    {%- endif %}
    where months.in_range
{%- endmacro %}

{#- A fixed list of text values as a one-column query. -#}
{% macro values_of(column, values) -%}
    select unnest([{% for v in values %}'{{ v }}'{{ ", " if not loop.last }}{% endfor %}]) as {{ column }}
{%- endmacro %}
