{#- Region codes are hierarchical: 6 digits banner (or zone), 9 township, 12 village.
    These cut a 12-digit code to the level above. -#}

{% macro banner_of(region_code) -%}
    substr({{ region_code }}, 1, 6)
{%- endmacro %}

{% macro township_of(region_code) -%}
    case when length({{ region_code }}) >= 9 then substr({{ region_code }}, 1, 9) end
{%- endmacro %}
