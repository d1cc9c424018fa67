{#- Calendar arithmetic as the rules define it (rules.md "Months"). -#}

{#- `date` plus `n` calendar months, clamped to the month's last day:
    2026-01-31 + 1 month = 2026-02-28. `n` may be a column or an expression. -#}
{% macro add_months(date_sql, n) -%}
    cast({{ dbt.dateadd('month', 'cast((' ~ n ~ ') as integer)', date_sql) }} as date)
{%- endmacro %}

{#- First day of the month of `date_sql`, as a date. -#}
{% macro month_of(date_sql) -%}
    cast({{ dbt.date_trunc('month', date_sql) }} as date)
{%- endmacro %}

{#- Last day of the month of `date_sql`. -#}
{% macro month_end(date_sql) -%}
    cast({{ dbt.last_day(date_sql, 'month') }} as date)
{%- endmacro %}
