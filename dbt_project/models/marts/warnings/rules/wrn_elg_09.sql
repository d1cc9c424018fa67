{#- ELG-09 核对收入超标 (§4 §7): an active dibao household whose verified
    per-capita monthly income (sum of its members' verified monthly income, a
    member without any verified income counting 0, divided by the member count)
    exceeds the dibao standard in force at as_of (urban or rural after the
    household). Equal to the standard is not above it. -#}
{{ config(tags=['warning_rule']) }}

with households as (
    select *
    from {{ ref('int_households') }}
    where assistance_type = 'dibao'
      and status = 'active'
),

per_household as (
    select
        members.household_id,
        sum(coalesce(income.verified_monthly_income, 0)) as verified_income_total,
        count(*) filter (where income.verified_monthly_income > 0) as members_with_income
    from {{ ref('int_household_members') }} as members
    left join {{ ref('int_verified_income') }} as income on members.id_number = income.id_number
    group by members.household_id
),

compared as (
    select
        households.*,
        per_household.verified_income_total,
        per_household.members_with_income,
        per_household.verified_income_total / households.member_count as verified_per_capita,
        {{ standard_in_force('households.banner_code', "'dibao_' || households.urban_rural", as_of()) }}
            as dibao_standard
    from households
    inner join per_household on households.household_id = per_household.household_id
)

select
    'ELG-09' as rule_id,
    'household' as subject_type,
    household_id as subject_key,
    head_id_number as id_number,
    household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'verified_income_total', round(verified_income_total, 2),
        'member_count', member_count,
        'members_with_verified_income', members_with_income,
        'verified_per_capita_income', round(verified_per_capita, 2),
        'dibao_standard', dibao_standard,
        'urban_rural', urban_rural,
        'declared_monthly_income_total', monthly_income_total
    ) as varchar) as evidence
from compared
where verified_income_total > dibao_standard * member_count
