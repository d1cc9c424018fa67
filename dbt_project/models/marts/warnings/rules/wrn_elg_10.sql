{#- ELG-10 低保金额核算不符 (§4): an active dibao household whose dibao payments in
    its latest pay month (on or before as_of) differ from the gap formula by more
    than `amount_tolerance`. Expected = max(0, standard - income / n) x n (computed as
    max(0, standard x n - income), exact in decimals), where n
    is the member count and income the declared monthly_income_total; a
    single-person household has n = 1 and the covered member's monthly_income.
    The standard is the one in force on the first day of that pay month. A
    household with no dibao payment yet is not compared. -#}
{{ config(tags=['warning_rule']) }}

with households as (
    select *
    from {{ ref('int_households') }}
    where assistance_type = 'dibao'
      and status = 'active'
),

dibao_payments as (
    select household_id, pay_month, amount
    from {{ ref('stg_ca_payments') }}
    where program = 'dibao'
      and pay_month <= {{ as_of() }}
),

latest_month as (
    select household_id, max(pay_month) as pay_month
    from dibao_payments
    group by household_id
),

paid as (
    select
        latest_month.household_id,
        latest_month.pay_month,
        sum(dibao_payments.amount) as actual_amount
    from latest_month
    inner join dibao_payments
        on latest_month.household_id = dibao_payments.household_id
        and latest_month.pay_month = dibao_payments.pay_month
    group by latest_month.household_id, latest_month.pay_month
),

covered_income as (
    select household_id, sum(coalesce(monthly_income, 0)) as covered_monthly_income
    from {{ ref('int_household_members') }}
    where covered
    group by household_id
),

basis as (
    select
        households.household_id,
        households.head_id_number,
        households.region_code,
        households.urban_rural,
        coalesce(households.single_person, false) as single_person,
        paid.pay_month,
        paid.actual_amount,
        case when coalesce(households.single_person, false) then 1 else households.member_count end
            as counted_members,
        case
            when coalesce(households.single_person, false) then coalesce(covered_income.covered_monthly_income, 0)
            else coalesce(households.monthly_income_total, 0)
        end as counted_income,
        {{ standard_in_force('households.banner_code', "'dibao_' || households.urban_rural", 'paid.pay_month') }}
            as dibao_standard
    from households
    inner join paid on households.household_id = paid.household_id
    left join covered_income on households.household_id = covered_income.household_id
),

compared as (
    select
        *,
        greatest(0, dibao_standard * counted_members - counted_income) as expected_amount,
        cast({{ rule_param('amount_tolerance') }} as decimal(14, 2)) as amount_tolerance
    from basis
)

select
    'ELG-10' as rule_id,
    'household' as subject_type,
    household_id as subject_key,
    head_id_number as id_number,
    household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'pay_month', pay_month,
        'actual_amount', actual_amount,
        'expected_amount', round(expected_amount, 2),
        'difference', round(actual_amount - expected_amount, 2),
        'dibao_standard', dibao_standard,
        'counted_income', counted_income,
        'counted_members', counted_members,
        'single_person', single_person,
        'amount_tolerance', amount_tolerance
    ) as varchar) as evidence
from compared
where abs(actual_amount - expected_amount) > amount_tolerance
