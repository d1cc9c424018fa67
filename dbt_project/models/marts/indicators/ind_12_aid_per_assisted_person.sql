-- IND-12: the resource library's coverage: aid received by persons in assisted
-- households, per month, by aid_kind and the providing department, and per
-- assisted person. A person is placed where their assisted household lived that month.
with assisted as (
    select month, id_number, min(banner_code) as banner_code, min(township_code) as township_code
    from {{ ref('int_monthly_roll_members') }}
    group by month, id_number
),

aid as (
    select
        aid.aid_month as month,
        assisted.banner_code,
        assisted.township_code,
        aid.aid_kind,
        aid.provider_department,
        aid.amount,
        aid.id_number
    from {{ ref('fct_aid') }} as aid
    inner join assisted on assisted.month = aid.aid_month and assisted.id_number = aid.id_number
),

by_kind as (
    {{ with_total('aid', 'aid_kind') }}
),

by_kind_and_provider as (
    select * replace (case when aid_kind = 'all' then 'all' else provider_department end as provider_department)
    from by_kind
),

facts as (
    {{ rollup_regions('by_kind_and_provider', ['aid_kind', 'provider_department'],
        'count(*) as aid_records, sum(amount) as aid_amount, count(distinct id_number) as recipients') }}
),

assisted_facts as (
    {{ rollup_regions('assisted', [], 'count(*) as assisted_persons') }}
),

kinds as (
    select 'all' as aid_kind, 'all' as provider_department
    union all select unnest(['dibao', 'tekun_basic', 'tekun_care', 'price_subsidy', 'heating',
                             'disability_living', 'disability_care', 'orphan', 'unsupported_child',
                             'temporary']), 'civil_affairs'
    union all select unnest(['medical_assistance', 'insurance_subsidy']), 'medical_security'
    union all select 'education', 'education'
    union all select 'housing', 'housing'
    union all select 'disaster_relief', 'emergency_management'
    union all select 'public_welfare_post', 'hr_social_security'
    union all select 'charity', 'social_forces'
),

grid as (
    {{ indicator_grid('select * from kinds') }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.aid_kind,
    grid.provider_department,
    cast(coalesce(facts.aid_records, 0) as bigint) as aid_records,
    cast(coalesce(facts.aid_amount, 0) as decimal(18, 2)) as aid_amount,
    cast(coalesce(facts.recipients, 0) as bigint) as recipients,
    cast(coalesce(assisted_facts.assisted_persons, 0) as bigint) as assisted_persons,
    cast(
        case when coalesce(assisted_facts.assisted_persons, 0) > 0
            then coalesce(facts.aid_amount, 0) / assisted_facts.assisted_persons
        end as decimal(14, 2)
    ) as aid_amount_per_assisted_person
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.aid_kind = grid.aid_kind
    and facts.provider_department = grid.provider_department
left join assisted_facts
    on assisted_facts.month = grid.month
    and assisted_facts.region_level = grid.region_level
    and assisted_facts.region_code = grid.region_code
