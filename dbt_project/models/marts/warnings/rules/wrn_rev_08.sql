{#- REV-08 滞留人员超3个月未落户 (§15): a vagrant case with no identity confirmed,
    no settlement and no departure more than `stranded_months` months after
    admission. The person's ID is usually unknown (null) until confirmed. -#}
{{ config(tags=['warning_rule']) }}

with stranded as (
    select
        *,
        {{ add_months('admitted_on', "cast(" ~ rule_param('stranded_months') ~ " as integer)") }}
            as settle_due_on
    from {{ ref('stg_ca_vagrant_cases') }}
    where identity_confirmed_on is null
      and settled_on is null
      and left_on is null
      and admitted_on <= {{ as_of() }}
)

select
    'REV-08' as rule_id,
    'case' as subject_type,
    case_id as subject_key,
    id_number,
    cast(null as varchar) as household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'admitted_on', admitted_on,
        'stranded_months', cast({{ rule_param('stranded_months') }} as integer),
        'settle_due_on', settle_due_on,
        'days_overdue', {{ dbt.datediff('settle_due_on', as_of(), 'day') }}
    ) as varchar) as evidence
from stranded
where settle_due_on < {{ as_of() }}
