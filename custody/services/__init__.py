"""Business rules. Each public function that changes anything is one transaction (see uow)."""
