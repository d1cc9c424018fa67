{#- The date the warehouse is built for, as a SQL date literal. Every "now" in the
    project is this var: replaying an earlier as_of gives that day's answer. -#}
{% macro as_of() -%}
    cast('{{ var("as_of") }}' as date)
{%- endmacro %}
