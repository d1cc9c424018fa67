{#- REV-03 渐退期已届满 (§4): a household still in gradual exit after its period
    (gradual_exit_start + gradual_exit_months calendar months; the end date itself
    is still inside the period). High when a dibao payment exists for a month after
    the period: a pay month beginning after the period's last day (end date - 1 day),
    so a 6-month exit from 2026-03-01 (end 2026-09-01) is paid through August and
    September's payment is after it; one from 2026-01-31 (end 2026-07-31) still
    covers July, and August's payment is after it. -#}
{{ config(tags=['warning_rule']) }}

with gradual_exits as (
    select
        *,
        {{ add_months('gradual_exit_start', 'gradual_exit_months') }} as gradual_exit_end_on,
        cast(date_trunc('month', {{ add_months('gradual_exit_start', 'gradual_exit_months') }} - interval 1 day)
             + interval 1 month as date) as first_month_after_period
    from {{ ref('int_households') }}
    where status = 'gradual_exit'
      and gradual_exit_start is not null
      and gradual_exit_months is not null
),

expired as (
    select *
    from gradual_exits
    where gradual_exit_end_on < {{ as_of() }}
),

payments_after_period as (
    select
        expired.household_id,
        count(*) as payment_count,
        min(payments.pay_month) as first_pay_month,
        max(payments.pay_month) as last_pay_month,
        sum(payments.amount) as amount_total
    from expired
    inner join {{ ref('stg_ca_payments') }} as payments
        on payments.household_id = expired.household_id
        and payments.program = 'dibao'
        and payments.pay_month >= expired.first_month_after_period
        and payments.pay_month <= {{ as_of() }}
    group by expired.household_id
)

select
    'REV-03' as rule_id,
    'household' as subject_type,
    expired.household_id as subject_key,
    expired.head_id_number as id_number,
    expired.household_id,
    expired.region_code,
    case when payments_after_period.household_id is not null then 'high' else 'medium' end as severity,
    cast(json_object(
        'gradual_exit_type', expired.gradual_exit_type,
        'gradual_exit_start', expired.gradual_exit_start,
        'gradual_exit_months', expired.gradual_exit_months,
        'gradual_exit_end_on', expired.gradual_exit_end_on,
        'days_past_end', {{ dbt.datediff('expired.gradual_exit_end_on', as_of(), 'day') }},
        'dibao_payments_after_end', coalesce(payments_after_period.payment_count, 0),
        'first_pay_month_after_end', payments_after_period.first_pay_month,
        'last_pay_month_after_end', payments_after_period.last_pay_month,
        'amount_paid_after_end', payments_after_period.amount_total
    ) as varchar) as evidence
from expired
left join payments_after_period on expired.household_id = payments_after_period.household_id
