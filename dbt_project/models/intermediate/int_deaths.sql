-- Deceased persons (rules.md "Deceased"): a ca_deaths record or a hukou marked
-- deceased; the death date is the earliest known, on or before as_of.
-- Why every hukou snapshot and not only the newest: a death recorded without a
-- status date is dated by the first extract that said so, and that date must not
-- move forward as later snapshots repeat it. A person counts as deceased by the
-- hukou when the latest snapshot (on or before as_of) that lists them says so (a
-- later snapshot listing them as normal again is a correction); one who has since
-- dropped out of the snapshots stays deceased.
with hukou_versions as (
    select * from {{ ref('int_hukou_death_versions') }}
),

latest_hukou_status as (
    select id_number, arg_max(hukou_status, extract_date) as hukou_status
    from hukou_versions
    group by id_number
),

hukou_deaths as (
    select
        hukou_versions.id_number,
        min(coalesce(hukou_versions.status_changed_on, hukou_versions.extract_date)) as death_date
    from hukou_versions
    inner join latest_hukou_status
        on latest_hukou_status.id_number = hukou_versions.id_number
        and latest_hukou_status.hukou_status = 'deceased'
    where hukou_versions.hukou_status = 'deceased'
    group by hukou_versions.id_number
),

reported as (
    select
        id_number,
        death_date,
        'ca_deaths' as reported_by
    from {{ ref('stg_ca_deaths') }}

    union all

    select
        id_number,
        death_date,
        'ps_hukou' as reported_by
    from hukou_deaths
),

known_by_as_of as (
    select *
    from reported
    where death_date <= {{ as_of() }}
)

select
    id_number,
    min(death_date) as death_date,
    string_agg(distinct reported_by, ' ' order by reported_by) as reported_by
from known_by_as_of
group by id_number
