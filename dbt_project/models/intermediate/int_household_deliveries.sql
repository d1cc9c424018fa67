-- Every household row of every ca_households delivery on or before as_of (one row
-- per household and extract): the roll as each delivery stated it. The basis of the
-- roll history and of the month-by-month indicators, so they are right on a fresh
-- warehouse too.
with delivered as (
    select
        household_id,
        head_id_number,
        region_code,
        urban_rural,
        assistance_type,
        dibao_class,
        tekun_support_mode,
        status,
        approved_on,
        last_review_on,
        _extract_date,
        _batch_id,
        _source_row
    from {{ source('raw', 'ca_households') }}
    where _extract_date <= {{ as_of() }}
),

versions as (
    select
        *,
        row_number() over (
            partition by household_id, _extract_date
            order by _batch_id desc, _source_row desc
        ) as version_rank
    from delivered
)

select
    household_id,
    _extract_date as extract_date,
    head_id_number,
    region_code,
    {{ banner_of('region_code') }} as banner_code,
    {{ township_of('region_code') }} as township_code,
    urban_rural,
    assistance_type,
    dibao_class,
    tekun_support_mode,
    status,
    approved_on,
    last_review_on,
    status in ('active', 'gradual_exit') as is_assisted,
    case
        when assistance_type = 'dibao' then 'dibao_' || coalesce(dibao_class, 'unclassified')
        when assistance_type = 'tekun' then 'tekun_' || coalesce(tekun_support_mode, 'unclassified')
        else assistance_type
    end as roll_type
from versions
where version_rank = 1
