{#- HRD-10 退出对象返困风险 (§7, §20): a household terminated within the last
    `exit_watch_months` months (terminated_on on or before as_of and that many
    months later on or after it) one of whose former members now has an HRD-01 or
    HRD-03 warning, is the member who died in an HRD-06 warning, or is registered
    `unemployed`. It reads the other hardship rules' models directly, so they are
    evaluated first. -#}
{{ config(tags=['warning_rule']) }}

with recently_terminated as (
    select *
    from {{ ref('int_households') }}
    where status = 'terminated'
      and terminated_on <= {{ as_of() }}
      and {{ add_months('terminated_on', "cast(" ~ rule_param('exit_watch_months') ~ " as integer)") }}
          >= {{ as_of() }}
),

former_members as (
    select members.household_id, members.id_number
    from {{ ref('int_household_members') }} as members
    where members.household_id in (select household_id from recently_terminated)
),

hardship_signals as (
    select id_number, 'HRD-01' as signal from {{ ref('wrn_hrd_01') }}
    union
    select id_number, 'HRD-03' as signal from {{ ref('wrn_hrd_03') }}
    union
    select id_number, 'HRD-06' as signal from {{ ref('wrn_hrd_06') }}
    union
    select id_number, 'unemployed' as signal
    from {{ ref('stg_hrss_employment') }}
    where employment_status = 'unemployed'
),

signals_by_household as (
    select
        former_members.household_id,
        string_agg(distinct hardship_signals.signal, ',' order by hardship_signals.signal) as signals,
        string_agg(distinct former_members.id_number, ',' order by former_members.id_number)
            as members_with_signals
    from former_members
    inner join hardship_signals on former_members.id_number = hardship_signals.id_number
    group by former_members.household_id
)

select
    'HRD-10' as rule_id,
    'household' as subject_type,
    households.household_id as subject_key,
    households.head_id_number as id_number,
    households.household_id,
    households.region_code,
    'medium' as severity,
    cast(json_object(
        'assistance_type', households.assistance_type,
        'terminated_on', households.terminated_on,
        'signals', signals_by_household.signals,
        'members_with_signals', signals_by_household.members_with_signals,
        'exit_watch_months', {{ rule_param('exit_watch_months') }}
    ) as varchar) as evidence
from recently_terminated as households
inner join signals_by_household on households.household_id = signals_by_household.household_id
