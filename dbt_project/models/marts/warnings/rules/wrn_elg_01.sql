{#- ELG-01 死亡后仍发放 (§27): payments to a person for months after the month of
    their death (a payment for the month of death itself is due). Recoveries
    (negative amounts) for those months are netted: the warning stands while the
    net amount paid after death is above zero. -#}
{{ config(tags=['warning_rule']) }}

with deaths as (
    select
        id_number,
        death_date,
        {{ month_of('death_date') }} as death_month
    from {{ ref('int_deaths') }}
),

payments_after_death as (
    select
        payments.id_number,
        deaths.death_date,
        deaths.death_month,
        count(*) as payment_count,
        min(payments.pay_month) as first_pay_month,
        max(payments.pay_month) as last_pay_month,
        sum(payments.amount) as amount_after_death,
        max(payments.household_id) as household_id
    from {{ ref('stg_ca_payments') }} as payments
    inner join deaths on payments.id_number = deaths.id_number
    where payments.pay_month > deaths.death_month
      and payments.pay_month <= {{ as_of() }}
    group by payments.id_number, deaths.death_date, deaths.death_month
    having sum(payments.amount) > 0
)

select
    'ELG-01' as rule_id,
    'person' as subject_type,
    p.id_number as subject_key,
    p.id_number,
    p.household_id,
    coalesce(households.region_code, people.hukou_region_code) as region_code,
    'high' as severity,
    cast(json_object(
        'death_date', p.death_date,
        'death_month', p.death_month,
        'payments_after_death', p.payment_count,
        'first_pay_month_after_death', p.first_pay_month,
        'last_pay_month_after_death', p.last_pay_month,
        'amount_after_death', p.amount_after_death
    ) as varchar) as evidence
from payments_after_death as p
left join {{ ref('int_households') }} as households on p.household_id = households.household_id
left join {{ ref('int_people') }} as people on p.id_number = people.id_number
