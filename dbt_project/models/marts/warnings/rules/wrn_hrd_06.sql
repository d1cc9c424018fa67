{#- HRD-06 主要劳动力死亡 (§1): within the last `breadwinner_days` days (death on or
    before as_of, at most that many days before it) a person died who had verified
    income (> 0) while no surviving member of their hukou household has any, and at
    least one member survives (ps_hukou status normal and not known to be dead).
    The subject is the hukou household; id_number is the member who died (the
    latest such death when there are several). -#}
{{ config(tags=['warning_rule']) }}

with recent_deaths as (
    select
        deaths.id_number,
        deaths.death_date,
        {{ dbt.datediff('deaths.death_date', as_of(), 'day') }} as days_since_death,
        people.hukou_no,
        people.hukou_region_code
    from {{ ref('int_deaths') }} as deaths
    inner join {{ ref('int_people') }} as people on deaths.id_number = people.id_number
    where deaths.death_date <= {{ as_of() }}
      and {{ dbt.datediff('deaths.death_date', as_of(), 'day') }} <= {{ rule_param('breadwinner_days') }}
      and people.hukou_no is not null
),

earners_who_died as (
    select recent_deaths.*, income.verified_monthly_income
    from recent_deaths
    inner join {{ ref('int_verified_income') }} as income on recent_deaths.id_number = income.id_number
    where income.verified_monthly_income > 0
),

survivors as (
    select
        hukou.hukou_no,
        hukou.id_number,
        hukou.head_id_number,
        hukou.region_code,
        coalesce(income.verified_monthly_income, 0) as verified_monthly_income,
        home.assisted_household_id
    from {{ ref('int_hukou_members') }} as hukou
    left join {{ ref('int_verified_income') }} as income on hukou.id_number = income.id_number
    left join {{ ref('wrn_helper_person_home') }} as home on hukou.id_number = home.id_number
    where not coalesce(home.is_deceased, false)
),

survivors_by_household as (
    select
        hukou_no,
        count(*) as surviving_members,
        count(*) filter (where verified_monthly_income > 0) as surviving_earners,
        min(assisted_household_id) as any_household_id,
        max(region_code) filter (where id_number = head_id_number) as head_region_code
    from survivors
    group by hukou_no
),

breadwinner_lost as (
    select
        earners_who_died.*,
        survivors_by_household.surviving_members,
        survivors_by_household.any_household_id,
        survivors_by_household.head_region_code,
        row_number() over (
            partition by earners_who_died.hukou_no
            order by earners_who_died.death_date desc, earners_who_died.id_number
        ) as death_rank
    from earners_who_died
    inner join survivors_by_household on earners_who_died.hukou_no = survivors_by_household.hukou_no
    where survivors_by_household.surviving_members >= 1
      and survivors_by_household.surviving_earners = 0
)

select
    'HRD-06' as rule_id,
    'household' as subject_type,
    breadwinner_lost.hukou_no as subject_key,
    breadwinner_lost.id_number,
    coalesce(home.assisted_household_id, breadwinner_lost.any_household_id) as household_id,
    coalesce(breadwinner_lost.hukou_region_code, breadwinner_lost.head_region_code) as region_code,
    'medium' as severity,
    cast(json_object(
        'hukou_no', breadwinner_lost.hukou_no,
        'death_date', breadwinner_lost.death_date,
        'days_since_death', breadwinner_lost.days_since_death,
        'verified_monthly_income', breadwinner_lost.verified_monthly_income,
        'surviving_members', breadwinner_lost.surviving_members,
        'breadwinner_days', {{ rule_param('breadwinner_days') }}
    ) as varchar) as evidence
from breadwinner_lost
left join {{ ref('wrn_helper_person_home') }} as home on breadwinner_lost.id_number = home.id_number
where breadwinner_lost.death_rank = 1
