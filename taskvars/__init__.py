"""taskvars: Camunda 7's task-variable REST API, served from SQLite or PostgreSQL."""
