{#- HRD-03 受灾未获救助 (§12): a disaster record that occurred within the last
    `disaster_days` days (occurred_on on or before as_of, at most that many days
    before it) with house damage `severe` or `collapsed`, or direct loss of at least
    `disaster_loss_abs` yuan, with no relief money (relief_amount 0 or missing) and
    no temporary assistance case for that person applied for on or after the day of
    the event. One warning per person: the evidence shows their latest such record. -#}
{{ config(tags=['warning_rule']) }}

with serious_recent as (
    select
        record_id,
        event_name,
        disaster_type,
        occurred_on,
        id_number,
        region_code,
        house_damage,
        direct_loss,
        relief_amount,
        {{ dbt.datediff('occurred_on', as_of(), 'day') }} as days_since
    from {{ ref('stg_em_disaster_victims') }}
    where occurred_on <= {{ as_of() }}
      and {{ dbt.datediff('occurred_on', as_of(), 'day') }} <= {{ rule_param('disaster_days') }}
      and (
          house_damage in ('severe', 'collapsed')
          or direct_loss >= {{ rule_param('disaster_loss_abs') }}
      )
      and coalesce(relief_amount, 0) = 0
),

unhelped as (
    select
        disasters.*,
        row_number() over (
            partition by disasters.id_number order by disasters.occurred_on desc, disasters.record_id desc
        ) as record_rank,
        count(*) over (partition by disasters.id_number) as record_count
    from serious_recent as disasters
    where not exists (
        select 1
        from {{ ref('stg_ca_temp_assistance') }} as temporary_cases
        where temporary_cases.id_number = disasters.id_number
          and temporary_cases.applied_on >= disasters.occurred_on
    )
)

select
    'HRD-03' as rule_id,
    'person' as subject_type,
    unhelped.id_number as subject_key,
    unhelped.id_number,
    home.assisted_household_id as household_id,
    coalesce(home.region_code, unhelped.region_code) as region_code,
    'high' as severity,
    cast(json_object(
        'record_id', unhelped.record_id,
        'event_name', unhelped.event_name,
        'disaster_type', unhelped.disaster_type,
        'occurred_on', unhelped.occurred_on,
        'days_since', unhelped.days_since,
        'house_damage', unhelped.house_damage,
        'direct_loss', unhelped.direct_loss,
        'relief_amount', unhelped.relief_amount,
        'qualifying_records', unhelped.record_count,
        'disaster_days', {{ rule_param('disaster_days') }},
        'disaster_loss_abs', {{ rule_param('disaster_loss_abs') }}
    ) as varchar) as evidence
from unhelped
left join {{ ref('wrn_helper_person_home') }} as home on unhelped.id_number = home.id_number
where unhelped.record_rank = 1
