{#- HRD-07 低收入家庭跌入低保线 (§7): an assisted household of type edge,
    rigid_expense or other_low_income whose per-capita monthly income is below the
    dibao standard in force on as_of for its banner and urban/rural kind. The
    per-capita income is the declared monthly_income_total / member_count, or the
    verified per-capita income when that is lower. Verified income counts only
    when at least one member has verified-income data (int_verified_income): a
    household unknown to insurance and tax is judged on its declaration. -#}
{{ config(tags=['warning_rule']) }}

with low_income_households as (
    select *
    from {{ ref('int_households') }}
    where is_assisted
      and assistance_type in ('edge', 'rigid_expense', 'other_low_income')
      and member_count > 0
),

verified as (
    select
        members.household_id,
        count(income.id_number) as members_with_verified_data,
        sum(coalesce(income.verified_monthly_income, 0)) as verified_monthly_total
    from {{ ref('int_household_members') }} as members
    left join {{ ref('int_verified_income') }} as income on members.id_number = income.id_number
    where members.household_id in (select household_id from low_income_households)
    group by members.household_id
),

per_capita as (
    select
        households.*,
        round(households.monthly_income_total / households.member_count, 2) as declared_per_capita,
        case
            when verified.members_with_verified_data > 0
                then round(verified.verified_monthly_total / households.member_count, 2)
        end as verified_per_capita,
        {{ standard_in_force('households.banner_code', "'dibao_' || households.urban_rural", as_of()) }}
            as dibao_standard
    from low_income_households as households
    left join verified on households.household_id = verified.household_id
),

judged as (
    select
        *,
        case
            when declared_per_capita is null then verified_per_capita
            when verified_per_capita is null then declared_per_capita
            when verified_per_capita < declared_per_capita then verified_per_capita
            else declared_per_capita
        end as per_capita_income
    from per_capita
)

select
    'HRD-07' as rule_id,
    'household' as subject_type,
    household_id as subject_key,
    head_id_number as id_number,
    household_id,
    region_code,
    'high' as severity,
    cast(json_object(
        'assistance_type', assistance_type,
        'urban_rural', urban_rural,
        'member_count', member_count,
        'monthly_income_total', monthly_income_total,
        'declared_per_capita', declared_per_capita,
        'verified_per_capita', verified_per_capita,
        'per_capita_income', per_capita_income,
        'dibao_standard', dibao_standard
    ) as varchar) as evidence
from judged
where per_capita_income < dibao_standard
