-- IND-02: coverage rate: persons in assisted households per 1,000 registered
-- residents (ps_hukou status normal in the delivery in force that month).
with month_extracts as (
    {{ snapshot_extract_by_month('ps_hukou') }}
),

hukou_normal as not materialized (
    select
        _extract_date as extract_date,
        _batch_id as batch_id,
        {{ banner_of('region_code') }} as banner_code,
        {{ township_of('region_code') }} as township_code,
        id_number
    from {{ source('raw', 'ps_hukou') }}
    where _extract_date <= {{ as_of() }}
      and hukou_status = 'normal'
),

-- Residents are distinct IDs per delivery and region. Within one batch an ID is
-- unique (the gate quarantines every occurrence of a repeated key), so where an
-- extract date has exactly one batch, counting IDs gives the distinct count; the
-- distinct count over 61 M rows at scale 10 was the build's largest node (33-40 CPU s
-- of hash aggregation, spilling; the model now costs ~2.7 CPU s). An extract date
-- delivered in several batches (or rows without a batch id) keeps the distinct count.
counted_by_extract as (
    select
        extract_date,
        banner_code,
        township_code,
        count(id_number) as ids,
        count(*) as row_count,
        count(batch_id) as rows_with_batch,
        min(batch_id) as first_batch,
        max(batch_id) as last_batch
    from hukou_normal
    group by extract_date, banner_code, township_code
),

several_batch_extracts as (
    select extract_date
    from counted_by_extract
    group by extract_date
    having min(first_batch) is distinct from max(last_batch)
        or sum(rows_with_batch) < sum(row_count)
),

residents_by_extract as (
    select extract_date, banner_code, township_code, ids as residents
    from counted_by_extract
    where extract_date not in (select extract_date from several_batch_extracts)
    union all
    select extract_date, banner_code, township_code, count(distinct id_number) as residents
    from hukou_normal
    where extract_date in (select extract_date from several_batch_extracts)
    group by extract_date, banner_code, township_code
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
