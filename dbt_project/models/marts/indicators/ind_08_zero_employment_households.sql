-- IND-08: zero-employment households (§11, target zero): hukou households with a
-- member of working age registered unemployed and no member of working age
-- employed or flexibly employed. Employment status is read from the
-- hrss_employment delivery in force each month; hukou membership is the current
-- one (int_hukou_members), which changes far more slowly.
with month_extracts as (
    {{ snapshot_extract_by_month('hrss_employment') }}
),

employment as not materialized (
    -- read twice (unemployed members, then the candidates' members) rather than
    -- materialising 25 M rows at scale 10
    select
        month_extracts.month,
        month_extracts.snapshot_date,
        raw.id_number,
        raw.employment_status
    from month_extracts
    inner join {{ source('raw', 'hrss_employment') }} as raw
        on raw._extract_date = month_extracts.extract_date
),

unemployed_households as (
    -- only a household with a working-age member registered unemployed can qualify
    -- (scale 10: 1.2 M of 16 M household-months)
    select distinct employment.month, members.hukou_no
    from employment
    inner join {{ ref('int_hukou_members') }} as members on members.id_number = employment.id_number
    where employment.employment_status = 'unemployed'
      and {{ age_on('members.birth_date', 'employment.snapshot_date') }}
        between {{ rule_param('working_age_min') }} and {{ rule_param('working_age_max') }}
),

candidate_members as (
    -- every member of those households in those months; joining the month's
    -- employment rows to these, not every employment row to every member, is what
    -- keeps this model cheap (scale 10: 25 M -> 2.9 M joined rows; 10.3 -> 5.3 CPU s)
    select
        unemployed_households.month,
        members.id_number,
        members.hukou_no,
        members.banner_code,
        members.township_code,
        members.birth_date
    from unemployed_households
    inner join {{ ref('int_hukou_members') }} as members
        on members.hukou_no is not distinct from unemployed_households.hukou_no
),

working_age as (
    select
        members.month,
        members.hukou_no,
        members.banner_code,
        members.township_code,
        employment.employment_status
    from candidate_members as members
    inner join employment
        on employment.month = members.month
        and employment.id_number = members.id_number
    where {{ age_on('members.birth_date', 'employment.snapshot_date') }}
        between {{ rule_param('working_age_min') }} and {{ rule_param('working_age_max') }}
),

households as (
    select
        month,
        hukou_no,
        min(banner_code) as banner_code,
        min(township_code) as township_code
    from working_age
    group by month, hukou_no
    having not bool_or(employment_status in ('employed', 'flexible'))
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
