{#- A composite natural key is unique: no two rows share the same values of
    `columns` (used on feeds keyed by more than one column). -#}
{% test unique_combination(model, columns) %}
select
    {% for c in columns %}"{{ c }}"{{ ", " if not loop.last }}{% endfor %},
    count(*) as n_rows
from {{ model }}
group by {% for c in columns %}"{{ c }}"{{ ", " if not loop.last }}{% endfor %}
having count(*) > 1
{% endtest %}
