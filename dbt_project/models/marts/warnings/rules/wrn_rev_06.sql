{#- REV-06 先行救助未补手续 (§14 §16): temporary assistance given first (prior
    assistance) whose paperwork is still not completed more than
    `prior_paperwork_days` days after approval. -#}
{{ config(tags=['warning_rule']) }}

with help_first as (
    select
        *,
        cast({{ dbt.dateadd('day', "cast(" ~ rule_param('prior_paperwork_days') ~ " as integer)",
                            'approved_on') }} as date) as paperwork_due_on
    from {{ ref('stg_ca_temp_assistance') }}
    where prior_assistance
      and paperwork_completed_on is null
      and approved_on is not null
)

select
    'REV-06' as rule_id,
    'case' as subject_type,
    case_id as subject_key,
    id_number,
    household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'amount', amount,
        'applied_on', applied_on,
        'approved_on', approved_on,
        'paperwork_days', cast({{ rule_param('prior_paperwork_days') }} as integer),
        'paperwork_due_on', paperwork_due_on,
        'days_overdue', {{ dbt.datediff('paperwork_due_on', as_of(), 'day') }}
    ) as varchar) as evidence
from help_first
where paperwork_due_on < {{ as_of() }}
