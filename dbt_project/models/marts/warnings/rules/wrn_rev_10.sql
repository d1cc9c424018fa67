{#- REV-10 热线求助超时未办结 (§20): a 12345 hotline assistance request not closed
    (by as_of) and received more than `hotline_days` days before as_of (counted on
    the date it was received). -#}
{{ config(tags=['warning_rule']) }}

with open_requests as (
    select
        *,
        cast(received_at as date) as received_on,
        cast({{ dbt.dateadd('day', "cast(" ~ rule_param('hotline_days') ~ " as integer)",
                            'cast(received_at as date)') }} as date) as close_due_on
    from {{ ref('stg_hotline_12345') }}
    where category = 'assistance_request'
      and (closed_at is null or cast(closed_at as date) > {{ as_of() }})
)

select
    'REV-10' as rule_id,
    'case' as subject_type,
    ticket_id as subject_key,
    caller_id_number as id_number,
    cast(null as varchar) as household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'received_at', received_at,
        'hotline_days', cast({{ rule_param('hotline_days') }} as integer),
        'close_due_on', close_due_on,
        'days_overdue', {{ dbt.datediff('close_due_on', as_of(), 'day') }}
    ) as varchar) as evidence
from open_requests
where close_due_on < {{ as_of() }}
