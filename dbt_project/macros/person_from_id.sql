{#- Facts encoded in an 18-digit resident ID (GB 11643): the birth date is
    characters 7-14 and the 17th digit is odd for men, even for women. -#}

{% macro birth_date_of(id_number) -%}
    try_strptime(substr({{ id_number }}, 7, 8), '%Y%m%d')::date
{%- endmacro %}

{% macro gender_of(id_number) -%}
    case when try_cast(substr({{ id_number }}, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end
{%- endmacro %}

{#- Whole years from `birth_sql` to `on_sql` (the birthday itself counts). -#}
{% macro age_on(birth_sql, on_sql) -%}
    (date_part('year', {{ on_sql }}) - date_part('year', {{ birth_sql }})
     - case
           when date_part('month', {{ on_sql }}) * 100 + date_part('day', {{ on_sql }})
                < date_part('month', {{ birth_sql }}) * 100 + date_part('day', {{ birth_sql }})
           then 1 else 0
       end)
{%- endmacro %}
