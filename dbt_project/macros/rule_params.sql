{#- Rule thresholds live in one place, the `rule_parameters` seed (value as text),
    so a deployment can change them without touching SQL. These return scalar
    subqueries over that seed. -#}

{% macro rule_param(name) -%}
    (select cast(value as double) from {{ ref('rule_parameters') }} where parameter = '{{ name }}')
{%- endmacro %}

{% macro rule_param_text(name) -%}
    (select value from {{ ref('rule_parameters') }} where parameter = '{{ name }}')
{%- endmacro %}
