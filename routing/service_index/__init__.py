"""A snapshot's Services as columns in process memory, for filtering and ordering the list.

The Services list (API and dashboard) asks for one page of a snapshot's Services under any mix
of filters and any order, with the count of all that pass. Asked of PostgreSQL, every such
page scanned all the snapshot's rows, counted them and sorted them (2.5-2.8 ms of the server's
CPU per request on 10,000 Services, about half of a cold request's cost; issue 16, target 3,
docs/benchmarks.md). A committed snapshot never changes, so each web process reads the columns
the list filters and sorts by once per snapshot (`index.ServiceIndex`), and answers each page
from them: a filter is a comparison over an array, an order a permutation worked out once.

- `load`: the snapshot's rows of those columns, read as the SQL list read them (its open rows
  while it is the latest, else the interval test).
- `index`: the columns and the pages; the same keys, order and count as the ORM's statement
  (service_list.filtered_services), PostgreSQL's NaN and NULL rules included.
- `cache`: the indexes this process keeps, least recently used out first, within a row budget
  (TRAFFICLENS_SERVICE_INDEX_ROWS; 0 turns the index off and the list goes through the ORM).
"""
