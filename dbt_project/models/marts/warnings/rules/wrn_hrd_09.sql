{#- HRD-09 返贫风险长期未消除 (§3): a rural-monitoring household whose risk is not
    cleared more than `rr_open_months` months after identified_on: on the date
    exactly that many months later it is due, from the day after it is flagged.
    household_id is the head's assisted household, where there is one. -#}
{{ config(tags=['warning_rule']) }}

with open_risks as (
    select
        *,
        {{ add_months('identified_on', "cast(" ~ rule_param('rr_open_months') ~ " as integer)") }}
            as clear_by
    from {{ ref('stg_rr_monitoring') }}
    where not coalesce(risk_cleared, false)
      and identified_on is not null
)

select
    'HRD-09' as rule_id,
    'household' as subject_type,
    open_risks.rr_household_id as subject_key,
    open_risks.head_id_number as id_number,
    home.assisted_household_id as household_id,
    open_risks.region_code,
    'low' as severity,
    cast(json_object(
        'rr_household_id', open_risks.rr_household_id,
        'category', open_risks.category,
        'risk_type', open_risks.risk_type,
        'identified_on', open_risks.identified_on,
        'clear_by', open_risks.clear_by,
        'days_overdue', {{ dbt.datediff('open_risks.clear_by', as_of(), 'day') }},
        'rr_open_months', {{ rule_param('rr_open_months') }}
    ) as varchar) as evidence
from open_risks
left join {{ ref('wrn_helper_person_home') }} as home on open_risks.head_id_number = home.id_number
where open_risks.clear_by < {{ as_of() }}
