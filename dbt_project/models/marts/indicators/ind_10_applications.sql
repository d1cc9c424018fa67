-- IND-10: applications by month applied and channel (§20, §23), and the share of
-- decided applications verified before the decision (§22 逢救必核).
with applications as (
    select
        {{ month_of('applied_on') }} as month,
        {{ banner_of('region_code') }} as banner_code,
        {{ township_of('region_code') }} as township_code,
        coalesce(channel, 'unknown') as channel,
        decided_on is not null as is_decided,
        decided_on is not null and verification_completed_on is not null
            and verification_completed_on <= decided_on as verified_before_decision
    from {{ ref('stg_ca_applications') }}
),

by_channel as (
    {{ with_total('applications', 'channel') }}
),

facts as (
    {{ rollup_regions('by_channel', ['channel'],
        'count(*) as applications, count(*) filter (where is_decided) as decided, '
        ~ 'count(*) filter (where verified_before_decision) as verified_before_decision') }}
),

grid as (
    {{ indicator_grid(values_of('channel', ['all', 'counter', 'online', 'mobile', 'outreach', 'hotline'])) }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.channel,
    cast(coalesce(facts.applications, 0) as bigint) as applications,
    cast(coalesce(facts.decided, 0) as bigint) as decided,
    cast(coalesce(facts.verified_before_decision, 0) as bigint) as verified_before_decision,
    cast(
        case when coalesce(facts.decided, 0) > 0 then facts.verified_before_decision / facts.decided end
        as double
    ) as share_verified_before_decision
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.channel = grid.channel
