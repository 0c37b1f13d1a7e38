"""Reports own no table. The indexes their aggregates need on other modules' tables are declared
here, so that the migrations hold them and the other modules stay unaware of reports."""
