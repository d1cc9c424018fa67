{#- The rows of `relation` that share their values of `columns` with another row:
    each repeated combination once, with n_rows (the `unique_combination` test's
    failures). Two NULLs count as the same value, as in GROUP BY.

    Why not one GROUP BY over the columns: on stg_hrss_insurance at scale 10 (40 M
    rows, three columns) that hash aggregate cost ~12-16 CPU s and was the build's
    most expensive test. Equal combinations have equal 64-bit hashes, so the
    combinations that can repeat are among the rows whose hash repeats (DuckDB's hash
    agrees with GROUP BY's equality: NULLs, 0.0 and -0.0, NaNs); sorting the
    hashes finds those (~4 CPU s), and only those rows are grouped on their real
    values. A hash collision between different combinations puts both in the
    re-check, which does not report them; a duplicate is always in it. Nothing
    here but plain Jinja, so tests/warehouse/test_unique_combination.py renders it
    outside dbt; `hash_mask` is for that test only (a small mask forces collisions). -#}
{% macro unique_combination_failures(relation, columns, hash_mask=none) -%}
    {%- set key_list -%}
        {%- for c in columns %}"{{ c }}"{{ ", " if not loop.last }}{% endfor -%}
    {%- endset -%}
    {%- set key_hash -%}
        {% if hash_mask is not none %}(hash({{ key_list }}) & {{ hash_mask }}::ubigint){% else %}hash({{ key_list }}){% endif %}
    {%- endset %}
with key_hashes as (
    select {{ key_hash }} as key_hash
    from {{ relation }}
),

repeated_hashes as (
    select distinct key_hash
    from (
        select key_hash, lag(key_hash) over (order by key_hash) as previous_hash
        from key_hashes
    )
    where key_hash = previous_hash
)

select {{ key_list }}, count(*) as n_rows
from {{ relation }}
where {{ key_hash }} in (select key_hash from repeated_hashes)
group by {{ key_list }}
having count(*) > 1
{%- endmacro %}
