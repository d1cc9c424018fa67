{#- The periodic-review rules (REV-01, REV-02; §7) differ only in which assisted
    households they cover and their review interval: one query serves both.
    `households_filter` is a SQL condition on int_households; `interval_param` names
    the rule parameter holding the interval in months. Due on base + N months
    (base = last review, else approval); overdue from the day after. High when
    overdue by more than `review_late_high_months` months. -#}
{% macro overdue_review_warnings(rule_id, households_filter, interval_param) %}
with households as (
    select *
    from {{ ref('int_households') }}
    where is_assisted
      and ({{ households_filter }})
),

due as (
    select
        *,
        coalesce(last_review_on, approved_on) as review_base_on,
        cast({{ rule_param(interval_param) }} as integer) as review_interval_months,
        {{ add_months('coalesce(last_review_on, approved_on)',
                      "cast(" ~ rule_param(interval_param) ~ " as integer)") }} as review_due_on
    from households
),

overdue as (
    select
        *,
        cast({{ rule_param('review_late_high_months') }} as integer) as high_after_months_late,
        {{ add_months('review_due_on',
                      "cast(" ~ rule_param('review_late_high_months') ~ " as integer)") }} as high_from_after
    from due
    where review_due_on < {{ as_of() }}
)

select
    '{{ rule_id }}' as rule_id,
    'household' as subject_type,
    household_id as subject_key,
    head_id_number as id_number,
    household_id,
    region_code,
    case when high_from_after < {{ as_of() }} then 'high' else 'medium' end as severity,
    cast(json_object(
        'assistance_type', assistance_type,
        'dibao_class', dibao_class,
        'approved_on', approved_on,
        'last_review_on', last_review_on,
        'review_interval_months', review_interval_months,
        'review_due_on', review_due_on,
        'days_overdue', {{ dbt.datediff('review_due_on', as_of(), 'day') }},
        'high_after_months_late', high_after_months_late
    ) as varchar) as evidence
from overdue
{% endmacro %}
