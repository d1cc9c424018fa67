-- IND-12: the resource library per aid kind: records, amount, and the persons each
-- kind reaches, per month and region (placed where fct_aid places the aid). Every
-- aid record counts, whether or not the household is on the assistance roll; the
-- `assisted_*` columns are the part that reached persons on the roll that month.
--
-- Persons reached (issue 17): a household record (fct_aid.covers = household, e.g.
-- a dibao payment to the head) reaches the household's persons_covered; a person
-- record reaches that person. Per kind, each household or person counts once a
-- month. The average is over the persons the kind reaches, not over all assisted
-- persons. The `all` row gives records and amounts only: persons reached by
-- different kinds overlap and are not added up.
with assisted as (
    select month, id_number, min(banner_code) as banner_code, min(township_code) as township_code
    from {{ ref('int_monthly_roll_members') }}
    group by month, id_number
),

aid as (
    select
        aid.aid_month as month,
        aid.banner_code,
        aid.township_code,
        aid.aid_kind,
        aid.provider as provider_department,
        aid.amount,
        aid.id_number,
        case
            when aid.covers = 'household' then 'h:' || coalesce(aid.household_id, aid.id_number)
            else 'p:' || aid.id_number
        end as reached_unit,
        coalesce(aid.persons_covered, 1) as persons_covered,
        assisted.id_number is not null as to_assisted
    from {{ ref('fct_aid') }} as aid
    left join assisted on assisted.month = aid.aid_month and assisted.id_number = aid.id_number
    where aid.banner_code is not null
),

reached as (
    select
        month, banner_code, township_code, aid_kind, provider_department, reached_unit,
        max(persons_covered) as persons,
        bool_or(to_assisted) as to_assisted
    from aid
    group by all
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
        'count(*) as aid_records, sum(amount) as aid_amount, count(distinct id_number) as recipients,
        sum(amount) filter (where to_assisted) as assisted_aid_amount') }}
),

reach_facts as (
    {{ rollup_regions('reached', ['aid_kind', 'provider_department'],
        'sum(persons) as persons_reached, sum(persons) filter (where to_assisted) as assisted_persons_reached') }}
),

assisted_facts as (
    {{ rollup_regions('assisted', [], 'count(*) as assisted_persons') }}
),

kinds as (
    select 'all' as aid_kind, 'all' as provider_department
    union all
    select aid_kind, provider as provider_department from {{ ref('aid_kinds') }}
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
    cast(case when grid.aid_kind <> 'all' then coalesce(reach_facts.persons_reached, 0) end as bigint)
        as persons_reached,
    cast(
        case when grid.aid_kind <> 'all' and coalesce(reach_facts.persons_reached, 0) > 0
            then coalesce(facts.aid_amount, 0) / reach_facts.persons_reached
        end as decimal(14, 2)
    ) as aid_amount_per_person_reached,
    cast(coalesce(facts.assisted_aid_amount, 0) as decimal(18, 2)) as assisted_aid_amount,
    cast(case when grid.aid_kind <> 'all' then coalesce(reach_facts.assisted_persons_reached, 0) end as bigint)
        as assisted_persons_reached,
    cast(coalesce(assisted_facts.assisted_persons, 0) as bigint) as assisted_persons
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.aid_kind = grid.aid_kind
    and facts.provider_department = grid.provider_department
left join reach_facts
    on reach_facts.month = grid.month
    and reach_facts.region_level = grid.region_level
    and reach_facts.region_code = grid.region_code
    and reach_facts.aid_kind = grid.aid_kind
    and reach_facts.provider_department = grid.provider_department
left join assisted_facts
    on assisted_facts.month = grid.month
    and assisted_facts.region_level = grid.region_level
    and assisted_facts.region_code = grid.region_code
