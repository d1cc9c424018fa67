-- Deceased persons (rules.md "Deceased"): a ca_deaths record or a hukou marked
-- deceased; the death date is the earliest known, on or before as_of. A hukou
-- marked deceased without a status date counts from the extract that said so.
with reported as (
    select
        id_number,
        death_date,
        'ca_deaths' as reported_by
    from {{ ref('stg_ca_deaths') }}

    union all

    select
        id_number,
        coalesce(status_changed_on, _extract_date) as death_date,
        'ps_hukou' as reported_by
    from {{ ref('stg_ps_hukou') }}
    where hukou_status = 'deceased'
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
