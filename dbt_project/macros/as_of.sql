{#- The date the warehouse is built for, as a SQL date expression. Every "now" in the
    project is this macro: replaying an earlier as_of gives that day's answer.

    Why not a var: dbt 1.11 re-parses the whole project whenever a --vars value
    changes (the vars are part of partial parsing's state check), and as_of changes
    every day. So `aidwatch build` writes the date into the warehouse before dbt
    runs, as the DuckDB macro `main.aidwatch_as_of()` (warehouse.build.write_as_of), and the
    models call that: the SQL text stays the same from day to day and
    target/partial_parse.msgpack is reused. DuckDB expands the macro to a date
    literal when binding, so filters on it are pushed down as before.

    A var `as_of`, when given (unit tests' `overrides: {vars: ...}`, `aidwatch docs`,
    a hand-run `dbt build --vars`), still wins: it is rendered as a literal. -#}
{% macro as_of() -%}
    {%- if var("as_of", none) -%}
        cast('{{ var("as_of") }}' as date)
    {%- else -%}
        main.aidwatch_as_of()
    {%- endif -%}
{%- endmacro %}
