-- How each household's place on the roll changed over the ca_households deliveries
-- up to as_of (SCD type 2, rebuilt from the whole raw zone so it is right on a fresh
-- warehouse): one row per period in which type, class, support mode, status and
-- region stayed the same. A household missing from a delivery after having been on
-- the roll gets a period with in_roll = false.
with deliveries as (
    select distinct extract_date from {{ ref('int_household_deliveries') }}
),

first_seen as (
    select household_id, min(extract_date) as first_extract
    from {{ ref('int_household_deliveries') }}
    group by household_id
),

observations as (
    select
        first_seen.household_id,
        deliveries.extract_date,
        rows.household_id is not null as in_roll,
        rows.assistance_type,
        rows.dibao_class,
        rows.tekun_support_mode,
        rows.status,
        rows.urban_rural,
        rows.region_code,
        coalesce(rows.is_assisted, false) as is_assisted
    from first_seen
    inner join deliveries on deliveries.extract_date >= first_seen.first_extract
    left join {{ ref('int_household_deliveries') }} as rows
        on rows.household_id = first_seen.household_id
        and rows.extract_date = deliveries.extract_date
),

changes as (
    select
        *,
        coalesce(
            lag(md5(concat_ws('|', in_roll, assistance_type, dibao_class, tekun_support_mode,
                              status, urban_rural, region_code)))
                over (partition by household_id order by extract_date)
            <> md5(concat_ws('|', in_roll, assistance_type, dibao_class, tekun_support_mode,
                              status, urban_rural, region_code)),
            true
        ) as is_change
    from observations
),

periods as (
    select
        *,
        lead(extract_date) over (partition by household_id order by extract_date) as next_change
    from changes
    where is_change
)

select
    md5(household_id || '|' || cast(extract_date as varchar)) as history_key,
    household_id,
    extract_date as valid_from,
    next_change as valid_to,
    next_change is null as is_current,
    in_roll,
    is_assisted,
    assistance_type,
    dibao_class,
    tekun_support_mode,
    status,
    urban_rural,
    region_code,
    {{ banner_of('region_code') }} as banner_code,
    {{ township_of('region_code') }} as township_code
from periods
