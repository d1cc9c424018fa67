{#- A composite natural key is unique: no two rows share the same values of
    `columns` (used on feeds keyed by more than one column). The query is
    macros/unique_combination_failures.sql (hashes first, real values re-checked). -#}
{% test unique_combination(model, columns) %}
{{ unique_combination_failures(model, columns) }}
{% endtest %}
