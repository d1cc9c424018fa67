{#- The standard in force (rules.md): the banner's own row, else the league's
    (152900), with the greatest effective_from on or before the date. A correlated
    scalar subquery over int_standards; every argument is a SQL expression, e.g.
    standard_in_force('h.banner_code', "'dibao_' || h.urban_rural", 'h.pay_month').
    Qualify every column in the arguments with its table alias: inside the subquery an
    unqualified `region_code` or `effective_from` would bind to int_standards itself. -#}
{% macro standard_in_force(banner_code_sql, standard_sql, date_sql) -%}
    {{ standard_field_in_force(banner_code_sql, standard_sql, date_sql, 'amount') }}
{%- endmacro %}

{#- Any column of the standard row in force (e.g. 'effective_from'), chosen the same way. -#}
{% macro standard_field_in_force(banner_code_sql, standard_sql, date_sql, field) -%}
    (
        select sif.{{ field }}
        from {{ ref('int_standards') }} as sif
        where sif.standard = {{ standard_sql }}
          and sif.region_code in ({{ banner_code_sql }}, '152900')
          and sif.effective_from <= {{ date_sql }}
        order by case when sif.region_code = '152900' then 1 else 0 end, sif.effective_from desc
        limit 1
    )
{%- endmacro %}
