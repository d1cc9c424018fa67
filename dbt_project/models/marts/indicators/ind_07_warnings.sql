-- IND-07: early warnings per month and region: open in the month's latest run,
-- new (never seen before that run) and resolved (in the run before, not in this
-- one), and the median days open, by rule, category and severity (each a
-- `breakdown`; `all` is the total). Read from warning_history (every run on or
-- before as_of), so a replayed earlier as_of gives that day's figures. New and days
-- open come from warning_episodes, the lifecycle marts.warnings shows: days open
-- count from the first run of the current episode, and a recurrence is not new.
-- For the month of as_of the figures are those of marts.warnings' statuses. A month
-- without any run has zeros and no run_as_of.
with history as (
    select
        history.as_of,
        history.warning_key,
        history.rule_id,
        history.severity,
        catalog.category,
        {{ banner_of('history.region_code') }} as banner_code,
        {{ township_of('history.region_code') }} as township_code
    from {{ ref('warning_history') }} as history
    left join {{ ref('rule_catalog') }} as catalog on catalog.rule_id = history.rule_id
    where history.as_of <= {{ as_of() }}
),

runs as (
    -- every run, including those that found nothing (warning_runs records them all)
    select
        as_of,
        lag(as_of) over (order by as_of) as previous_as_of
    from (
        select as_of from {{ ref('warning_runs') }} where as_of <= {{ as_of() }}
        union
        select as_of from history
    )
),

month_runs as (
    select
        months.month,
        max(runs.as_of) as run_as_of
    from {{ ref('int_month_spine') }} as months
    inner join runs
        on runs.as_of >= months.month
        and runs.as_of <= months.snapshot_date
    where months.in_range
    group by months.month
),

month_warnings as (
    select
        month_runs.month,
        this_run.*,
        episodes.is_first_sighting as is_new,
        false as is_resolved,
        {{ dbt.datediff('episodes.first_seen_on', 'this_run.as_of', 'day') }} as days_open
    from month_runs
    inner join history as this_run on this_run.as_of = month_runs.run_as_of
    inner join {{ ref('warning_episodes') }} as episodes
        on episodes.warning_key = this_run.warning_key
        and episodes.as_of = this_run.as_of

    union all

    select
        month_runs.month,
        previous_run.*,
        false as is_new,
        true as is_resolved,
        null as days_open
    from month_runs
    inner join runs on runs.as_of = month_runs.run_as_of
    inner join history as previous_run on previous_run.as_of = runs.previous_as_of
    left join history as this_run
        on this_run.as_of = month_runs.run_as_of
        and this_run.warning_key = previous_run.warning_key
    where this_run.warning_key is null
),

long as (
    select month, banner_code, township_code, 'all' as breakdown, 'all' as breakdown_value,
           is_new, is_resolved, days_open from month_warnings
    union all
    select month, banner_code, township_code, 'rule_id', rule_id, is_new, is_resolved, days_open
    from month_warnings
    union all
    select month, banner_code, township_code, 'category', category, is_new, is_resolved, days_open
    from month_warnings
    union all
    select month, banner_code, township_code, 'severity', severity, is_new, is_resolved, days_open
    from month_warnings
),

facts as (
    {{ rollup_regions('long', ['breakdown', 'breakdown_value'],
        'count(*) filter (where not is_resolved) as open_warnings, '
        ~ 'count(*) filter (where is_new) as new_warnings, '
        ~ 'count(*) filter (where is_resolved) as resolved_warnings, '
        ~ 'median(days_open) filter (where not is_resolved) as median_days_open') }}
),

breakdowns as (
    select 'all' as breakdown, 'all' as breakdown_value
    union all select 'rule_id', rule_id from {{ ref('rule_catalog') }}
    union all select distinct 'category', category from {{ ref('rule_catalog') }}
    union all select 'severity', unnest(['high', 'medium', 'low'])
),

grid as (
    {{ indicator_grid('select * from breakdowns') }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.breakdown,
    grid.breakdown_value,
    cast(month_runs.run_as_of as date) as run_as_of,
    cast(coalesce(facts.open_warnings, 0) as bigint) as open_warnings,
    cast(coalesce(facts.new_warnings, 0) as bigint) as new_warnings,
    cast(coalesce(facts.resolved_warnings, 0) as bigint) as resolved_warnings,
    cast(facts.median_days_open as double) as median_days_open
from grid
left join month_runs on month_runs.month = grid.month
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.breakdown = grid.breakdown
    and facts.breakdown_value = grid.breakdown_value
