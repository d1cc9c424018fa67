{#- The canonical hash of a warning's evidence: md5 over its keys in sorted order as
    `key=<json value>`, leaving out `counter_keys` (a list expression: the rule's keys in
    the evidence_counters seed, which move with as_of alone). Two runs give the same hash
    exactly when the facts that fired the rule are the same, whatever the key order.
    (spec workspace.md: a dismissed warning comes back only when its evidence changes.) -#}
{% macro evidence_hash(evidence, counter_keys) -%}
    md5(array_to_string(list_sort(list_transform(
        list_filter(json_keys({{ evidence }}), lambda k: not list_contains({{ counter_keys }}, k)),
        lambda k: k || '=' || coalesce(cast(json_extract({{ evidence }}, '$."' || k || '"') as varchar), 'null')
    )), '|'))
{%- endmacro %}
