{#- HRD-01 大额医疗自付 (§1, §8, §20): a person whose out-of-pocket medical spending
    settled within the last `medical_window_months` months (a settlement on the
    date exactly that many months before as_of still counts) totals at least
    `medical_oop_abs` yuan and at least `medical_oop_share` of their hukou
    household's annual verified income (both bounds inclusive). A person with no
    hukou record is their own household. High when no member of that household is
    in an assisted household; medium otherwise. -#}
{{ config(tags=['warning_rule']) }}

with settlements_in_window as (
    select id_number, settled_on, out_of_pocket
    from {{ ref('stg_mi_settlements') }}
    where settled_on <= {{ as_of() }}
      and {{ add_months('settled_on', "cast(" ~ rule_param('medical_window_months') ~ " as integer)") }}
          >= {{ as_of() }}
),

out_of_pocket_by_person as (
    select
        id_number,
        sum(coalesce(out_of_pocket, 0)) as out_of_pocket_total,
        count(*) as settlement_count,
        min(settled_on) as first_settled_on,
        max(settled_on) as last_settled_on
    from settlements_in_window
    group by id_number
),

persons_household as (
    select
        spending.*,
        coalesce(people.hukou_no, 'person:' || spending.id_number) as household_ref
    from out_of_pocket_by_person as spending
    left join {{ ref('int_people') }} as people on spending.id_number = people.id_number
),

household_members as (
    {#- The hukou household's current members, plus the person themself (who may
        have no hukou row or one that is not `normal`). -#}
    select persons_household.id_number as patient_id_number, hukou.id_number as member_id_number
    from persons_household
    inner join {{ ref('int_hukou_members') }} as hukou on persons_household.household_ref = hukou.hukou_no
    union
    select id_number as patient_id_number, id_number as member_id_number
    from persons_household
),

household_income as (
    select
        household_members.patient_id_number,
        count(*) as household_size,
        round(sum(coalesce(income.verified_monthly_income, 0)) * 12, 2) as household_annual_income,
        bool_or(home.assisted_household_id is not null) as household_assisted
    from household_members
    left join {{ ref('int_verified_income') }} as income
        on household_members.member_id_number = income.id_number
    left join {{ ref('wrn_helper_person_home') }} as home
        on household_members.member_id_number = home.id_number
    group by household_members.patient_id_number
),

compared as (
    select
        persons_household.*,
        household_income.household_size,
        household_income.household_annual_income,
        household_income.household_assisted,
        {{ rule_param('medical_oop_abs') }} as medical_oop_abs,
        {{ rule_param('medical_oop_share') }} as medical_oop_share,
        round({{ rule_param('medical_oop_share') }} * household_income.household_annual_income, 2)
            as share_threshold
    from persons_household
    inner join household_income on persons_household.id_number = household_income.patient_id_number
),

firing as (
    select *
    from compared
    where out_of_pocket_total >= medical_oop_abs
      and out_of_pocket_total >= share_threshold
)

select
    'HRD-01' as rule_id,
    'person' as subject_type,
    firing.id_number as subject_key,
    firing.id_number,
    home.assisted_household_id as household_id,
    home.region_code,
    case when firing.household_assisted then 'medium' else 'high' end as severity,
    cast(json_object(
        'out_of_pocket_total', firing.out_of_pocket_total,
        'settlement_count', firing.settlement_count,
        'first_settled_on', firing.first_settled_on,
        'last_settled_on', firing.last_settled_on,
        'hukou_no', case when firing.household_ref like 'person:%' then null else firing.household_ref end,
        'household_size', firing.household_size,
        'household_annual_income', firing.household_annual_income,
        'household_assisted', firing.household_assisted,
        'medical_oop_abs', firing.medical_oop_abs,
        'medical_oop_share', firing.medical_oop_share,
        'share_threshold', firing.share_threshold
    ) as varchar) as evidence
from firing
left join {{ ref('wrn_helper_person_home') }} as home on firing.id_number = home.id_number
