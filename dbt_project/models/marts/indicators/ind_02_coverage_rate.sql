-- IND-02: coverage rate: persons in assisted households per 1,000 registered
-- residents (ps_hukou status normal in the delivery in force that month).
with month_extracts as (
    {{ snapshot_extract_by_month('ps_hukou') }}
),

residents_by_extract as (
    select
        _extract_date as extract_date,
        {{ banner_of('region_code') }} as banner_code,
        {{ township_of('region_code') }} as township_code,
        count(distinct id_number) as residents
    from {{ source('raw', 'ps_hukou') }}
    where _extract_date <= {{ as_of() }}
      and hukou_status = 'normal'
    group by 1, 2, 3
),

residents as (
    select
        month_extracts.month,
        residents_by_extract.banner_code,
        residents_by_extract.township_code,
        residents_by_extract.residents
    from month_extracts
    inner join residents_by_extract on residents_by_extract.extract_date = month_extracts.extract_date
),

assisted as (
    select month, banner_code, township_code, id_number
    from {{ ref('int_monthly_roll_members') }}
),

resident_facts as (
    {{ rollup_regions('residents', [], 'sum(residents) as registered_residents') }}
),

assisted_facts as (
    {{ rollup_regions('assisted', [], 'count(distinct id_number) as assisted_persons') }}
),

grid as (
    {{ indicator_grid() }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    cast(coalesce(assisted_facts.assisted_persons, 0) as bigint) as assisted_persons,
    cast(coalesce(resident_facts.registered_residents, 0) as bigint) as registered_residents,
    cast(
        case when coalesce(resident_facts.registered_residents, 0) > 0
            then 1000.0 * coalesce(assisted_facts.assisted_persons, 0) / resident_facts.registered_residents
        end as double
    ) as assisted_per_1000_residents
from grid
left join resident_facts
    on resident_facts.month = grid.month
    and resident_facts.region_level = grid.region_level
    and resident_facts.region_code = grid.region_code
left join assisted_facts
    on assisted_facts.month = grid.month
    and assisted_facts.region_level = grid.region_level
    and assisted_facts.region_code = grid.region_code
