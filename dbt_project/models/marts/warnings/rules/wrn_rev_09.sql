{#- REV-09 申请超期未办结 (§21): an application still pending more than
    `application_days` days after it was made. -#}
{{ config(tags=['warning_rule']) }}

with pending as (
    select
        *,
        cast({{ dbt.dateadd('day', "cast(" ~ rule_param('application_days') ~ " as integer)",
                            'applied_on') }} as date) as decision_due_on
    from {{ ref('stg_ca_applications') }}
    where decision = 'pending'
)

select
    'REV-09' as rule_id,
    'case' as subject_type,
    application_id as subject_key,
    applicant_id_number as id_number,
    household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'program', program,
        'channel', channel,
        'applied_on', applied_on,
        'application_days', cast({{ rule_param('application_days') }} as integer),
        'decision_due_on', decision_due_on,
        'days_overdue', {{ dbt.datediff('decision_due_on', as_of(), 'day') }}
    ) as varchar) as evidence
from pending
where decision_due_on < {{ as_of() }}
