{#- The month ELG-11 and COV-05 look at (rules.md ELG-11): per assisted tekun
    household, its latest tekun pay month on or before as_of, i.e. the latest
    `pay_month` with a `tekun_basic` payment to that household. A payment belongs
    to the household it names or, when it names none, to the households of the
    member it was paid to. Payments of other programs do not count: a disability
    subsidy paid in the month of approval, before the first tekun payment, must not
    make that month look like a tekun month paid 0. A household with no tekun_basic
    payment yet has no row (no warning). -#}
{{ config(schema='intermediate', materialized='table') }}

with tekun_households as (
    select distinct household_id
    from {{ ref('int_household_members') }}
    where is_assisted
      and assistance_type = 'tekun'
),

tekun_members as (
    select distinct household_id, id_number
    from {{ ref('int_household_members') }}
    where is_assisted
      and assistance_type = 'tekun'
),

basic_payments as (
    select household_id, id_number, pay_month
    from {{ ref('stg_ca_payments') }}
    where program = 'tekun_basic'
      and pay_month <= {{ as_of() }}
),

household_basic_months as (
    select tekun_households.household_id, basic_payments.pay_month
    from tekun_households
    inner join basic_payments on basic_payments.household_id = tekun_households.household_id
    union
    select tekun_members.household_id, basic_payments.pay_month
    from tekun_members
    inner join basic_payments
        on basic_payments.id_number = tekun_members.id_number
        and basic_payments.household_id is null
)

select
    household_id,
    max(pay_month) as tekun_pay_month
from household_basic_months
group by household_id
