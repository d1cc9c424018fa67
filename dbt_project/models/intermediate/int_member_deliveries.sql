-- Every member row of every ca_members delivery on or before as_of (one row per
-- household, person and extract).
with delivered as (
    select
        household_id,
        id_number,
        covered,
        _extract_date,
        _batch_id,
        _source_row
    from {{ source('raw', 'ca_members') }}
    where _extract_date <= {{ as_of() }}
),

versions as (
    select
        *,
        row_number() over (
            partition by household_id, id_number, _extract_date
            order by _batch_id desc, _source_row desc
        ) as version_rank
    from delivered
)

select
    household_id,
    id_number,
    covered,
    _extract_date as extract_date
from versions
where version_rank = 1
