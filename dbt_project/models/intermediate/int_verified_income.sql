-- Verified monthly income of a person (rules.md): over the `income_window_months`
-- whole months before as_of's month, the larger of (a) social-insurance amounts
-- (pension contribution base, pension, unemployment benefit) divided by the window,
-- and (b) the previous calendar year's taxable income divided by 12.
with bounds as (
    select
        {{ add_months(month_of(as_of()), '-1 * ' ~ rule_param('income_window_months')) }} as window_start,
        {{ month_of(as_of()) }} as window_end,
        {{ rule_param('income_window_months') }} as window_months,
        cast(date_part('year', {{ as_of() }}) - 1 as bigint) as tax_year
),

insurance as (
    select
        ins.id_number,
        sum(ins.amount) / max(bounds.window_months) as insurance_monthly
    from {{ ref('stg_hrss_insurance') }} as ins
    cross join bounds
    where ins.item in ('pension_contribution', 'pension_payment', 'unemployment_benefit')
      and ins.month >= bounds.window_start
      and ins.month < bounds.window_end
    group by ins.id_number
),

tax as (
    select
        tax.id_number,
        tax.taxable_income / 12 as tax_monthly
    from {{ ref('stg_tax_income') }} as tax
    cross join bounds
    where tax.year = bounds.tax_year
),

people as (
    select id_number from insurance
    union
    select id_number from tax
)

select
    people.id_number,
    cast(coalesce(insurance.insurance_monthly, 0) as decimal(18, 4)) as insurance_monthly,
    cast(coalesce(tax.tax_monthly, 0) as decimal(18, 4)) as tax_monthly,
    cast(greatest(coalesce(insurance.insurance_monthly, 0), coalesce(tax.tax_monthly, 0))
         as decimal(18, 4)) as verified_monthly_income
from people
left join insurance on insurance.id_number = people.id_number
left join tax on tax.id_number = people.id_number
