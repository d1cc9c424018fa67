{#- IND-13 响应处置 (spec workspace.md, indicators.md): how officials answer the
    warnings, per month x region (league, banner, township) x rule category (`all` is
    the total), every combination present (a quiet month is zeros).
    Each warning episode counts in the month it was first seen (a cohort): how many
    were opened, how many verified within the time limit of their severity, the
    median days from first seen to the first verification, the dismissed share and
    the handled share (of those with feedback, by the latest word), and how many of
    them are 核查逾期 now (on as_of). Feedback counts when recorded on or before as_of. -#}

with outcomes as (
    select
        {{ month_of('first_seen_on') }} as month,
        banner_code,
        township_code,
        category,
        has_feedback,
        verified_in_time,
        days_to_verification,
        is_dismissed,
        is_handled,
        is_overdue_now
    from {{ ref('int_feedback_episode_outcomes') }}
),

by_category as (
    {{ with_total('outcomes', 'category') }}
),

facts as (
    {{ rollup_regions('by_category', ['category'],
        'count(*) as warnings_opened, '
        ~ 'count(*) filter (where has_feedback) as warnings_verified, '
        ~ 'count(*) filter (where verified_in_time) as verified_in_time, '
        ~ 'median(days_to_verification) as median_days_to_verification, '
        ~ 'count(*) filter (where is_dismissed) as warnings_dismissed, '
        ~ 'count(*) filter (where is_handled) as warnings_handled, '
        ~ 'count(*) filter (where is_overdue_now) as overdue_now') }}
),

categories as (
    select distinct category from {{ ref('rule_catalog') }}
    union all
    select 'all'
),

grid as (
    {{ indicator_grid('select * from categories') }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.category,
    cast(coalesce(facts.warnings_opened, 0) as bigint) as warnings_opened,
    cast(coalesce(facts.warnings_verified, 0) as bigint) as warnings_verified,
    cast(coalesce(facts.verified_in_time, 0) as bigint) as verified_in_time,
    cast(facts.median_days_to_verification as double) as median_days_to_verification,
    cast(coalesce(facts.warnings_dismissed, 0) as bigint) as warnings_dismissed,
    cast(coalesce(facts.warnings_handled, 0) as bigint) as warnings_handled,
    cast(facts.warnings_dismissed / nullif(facts.warnings_verified, 0) as double) as dismissed_share,
    cast(facts.warnings_handled / nullif(facts.warnings_verified, 0) as double) as handled_share,
    cast(coalesce(facts.overdue_now, 0) as bigint) as overdue_now
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.category = grid.category
