-- IND-08: zero-employment households (§11, target zero): hukou households with a
-- member of working age registered unemployed and no member of working age
-- employed or flexibly employed. Employment status is read from the
-- hrss_employment delivery in force each month; hukou membership is the current
-- one (int_hukou_members), which changes far more slowly.
with month_extracts as (
    {{ snapshot_extract_by_month('hrss_employment') }}
),

employment as (
    select
        month_extracts.month,
        month_extracts.snapshot_date,
        raw.id_number,
        raw.employment_status
    from month_extracts
    inner join {{ source('raw', 'hrss_employment') }} as raw
        on raw._extract_date = month_extracts.extract_date
),

working_age as (
    select
        employment.month,
        members.hukou_no,
        members.banner_code,
        members.township_code,
        employment.employment_status
    from employment
    inner join {{ ref('int_hukou_members') }} as members on members.id_number = employment.id_number
    where {{ age_on('members.birth_date', 'employment.snapshot_date') }}
        between {{ rule_param('working_age_min') }} and {{ rule_param('working_age_max') }}
),

unemployed_households as (
    -- only a household with an unemployed member can qualify: grouping just their
    -- members is far cheaper than grouping every working-age member of every month
    -- (scale 10: 1.2 M of 16 M household-months; 23.5 -> 11.6 CPU s)
    select distinct month, hukou_no
    from working_age
    where employment_status = 'unemployed'
),

households as (
    select
        working_age.month,
        working_age.hukou_no,
        min(working_age.banner_code) as banner_code,
        min(working_age.township_code) as township_code
    from working_age
    inner join unemployed_households
        on unemployed_households.month = working_age.month
        and unemployed_households.hukou_no is not distinct from working_age.hukou_no
    group by working_age.month, working_age.hukou_no
    having not bool_or(working_age.employment_status in ('employed', 'flexible'))
),

facts as (
    {{ rollup_regions('households', [], 'count(*) as zero_employment_households') }}
),

grid as (
    {{ indicator_grid() }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    cast(coalesce(facts.zero_employment_households, 0) as bigint) as zero_employment_households
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
