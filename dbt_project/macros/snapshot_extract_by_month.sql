{#- For each indicator month in range: the month, its snapshot date, and the extract
    date of the snapshot feed's newest delivery on or before that snapshot date (the
    roll "in force" that month). Monthly indicators over snapshot feeds read the raw
    zone through this, so that a month shows what the department said then. -#}
{% macro snapshot_extract_by_month(feed_id) %}
    select
        months.month,
        months.snapshot_date,
        max(extracts.extract_date) as extract_date
    from {{ ref('int_month_spine') }} as months
    left join (
        select distinct _extract_date as extract_date
        from {{ source('raw', feed_id) }}
        where _extract_date <= {{ as_of() }}
    ) as extracts
        on extracts.extract_date <= months.snapshot_date
    where months.in_range
    group by months.month, months.snapshot_date
{% endmacro %}
