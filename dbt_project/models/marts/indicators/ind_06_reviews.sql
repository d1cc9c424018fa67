-- IND-06: periodic reviews (§7): dibao A and tekun yearly, dibao B half-yearly.
-- For each month, on the roll as it stood then: households under review, reviews
-- falling due in the month, households overdue at the month's snapshot date, and
-- the on-time rate (share not overdue). Intervals come from the rule parameters.
with roll as (
    select
        month,
        snapshot_date,
        banner_code,
        township_code,
        case
            when assistance_type = 'dibao' and dibao_class = 'A' then 'dibao_A'
            when assistance_type = 'dibao' and dibao_class = 'B' then 'dibao_B'
            when assistance_type = 'tekun' then 'tekun'
        end as review_class,
        coalesce(last_review_on, approved_on) as reviewed_on
    from {{ ref('int_monthly_roll') }}
    where is_assisted
),

due as (
    select
        *,
        case when review_class = 'dibao_B'
            then {{ add_months('reviewed_on', rule_param('review_months_semiannual')) }}
            else {{ add_months('reviewed_on', rule_param('review_months_annual')) }}
        end as due_on
    from roll
    where review_class is not null
),

by_class as (
    {{ with_total('due', 'review_class') }}
),

facts as (
    {{ rollup_regions('by_class', ['review_class'],
        'count(*) as households_under_review, '
        ~ 'count(*) filter (where ' ~ month_of('due_on') ~ ' = month) as reviews_due_in_month, '
        ~ 'count(*) filter (where due_on < snapshot_date) as households_overdue') }}
),

grid as (
    {{ indicator_grid(values_of('review_class', ['all', 'dibao_A', 'dibao_B', 'tekun'])) }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.review_class,
    cast(coalesce(facts.households_under_review, 0) as bigint) as households_under_review,
    cast(coalesce(facts.reviews_due_in_month, 0) as bigint) as reviews_due_in_month,
    cast(coalesce(facts.households_overdue, 0) as bigint) as households_overdue,
    cast(
        case when coalesce(facts.households_under_review, 0) > 0
            then 1.0 - facts.households_overdue / facts.households_under_review
        end as double
    ) as on_time_rate
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.review_class = grid.review_class
