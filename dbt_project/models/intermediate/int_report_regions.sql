-- The places every indicator is reported for: the league, each banner (and the
-- high-tech zone) and each township. region_level says which.
select
    code as region_code,
    name as region_name,
    case when level = 'zone' then 'banner' else level end as region_level,
    case when level = 'league' then null else parent_code end as parent_code
from {{ ref('regions') }}
where level in ('league', 'banner', 'zone', 'township')
